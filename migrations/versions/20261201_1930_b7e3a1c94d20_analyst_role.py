"""analyst role (program lead): the role CHECK constraints accept 'analyst'

Revision ID: b7e3a1c94d20
Revises: f6dc930eddaa
Create Date: 2026-12-01 19:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7e3a1c94d20"
down_revision = "f6dc930eddaa"
branch_labels = None
depends_on = None

OLD_ROLES = ("teacher", "coach", "designer", "admin", "hr")
NEW_ROLES = (*OLD_ROLES, "analyst")

# (table, column, check constraint name) of every column holding a Role.
ROLE_COLUMNS = (("user_role", "role", "ck_user_role_role"), ("invite_code", "role", "ck_invite_code_invite_role"))


def _set_roles(roles: tuple[str, ...]) -> None:
    allowed = ", ".join(f"'{role}'" for role in roles)
    for table, column, name in ROLE_COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(name), type_="check")
            batch.create_check_constraint(op.f(name), f"{column} IN ({allowed})")


def upgrade():
    _set_roles(NEW_ROLES)


def downgrade():
    op.execute("DELETE FROM user_role WHERE role = 'analyst'")
    op.execute("UPDATE invite_code SET role = 'teacher' WHERE role = 'analyst'")
    _set_roles(OLD_ROLES)
