"""decision basis 'peers_majority': with the coach rule 'never', the majority of the peers decides

Revision ID: e5a9c3d7f1b2
Revises: 4bb2f2518d6d
Create Date: 2026-12-02 07:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e5a9c3d7f1b2"
down_revision = "4bb2f2518d6d"
branch_labels = None
depends_on = None

OLD_BASES = ("peers_agree", "coach")
NEW_BASES = ("peers_agree", "peers_majority", "coach")


def _set_bases(bases: tuple[str, ...]) -> None:
    allowed = ", ".join(f"'{basis}'" for basis in bases)
    with op.batch_alter_table("decision") as batch:
        batch.drop_constraint(op.f("ck_decision_decision_basis"), type_="check")
        batch.alter_column("basis", type_=sa.String(max(len(b) for b in bases)), existing_nullable=False)
        batch.create_check_constraint(op.f("ck_decision_decision_basis"), f"basis IN ({allowed})")


def upgrade():
    _set_bases(NEW_BASES)


def downgrade():
    # A majority decision is still a peer decision: keep it, under the older name.
    op.execute("UPDATE decision SET basis = 'peers_agree' WHERE basis = 'peers_majority'")
    _set_bases(OLD_BASES)
