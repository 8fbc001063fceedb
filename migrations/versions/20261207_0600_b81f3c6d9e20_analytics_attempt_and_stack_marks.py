"""analytics marks: attempts and stack events counted by day from both ends

A window's first attempts (teachers counted once) and attempts to pass, and the stack figures, are
read as sums of per-day marks (``journeys.Marks``) instead of filtering every attempt row of the
window on the previous attempt's day. Filled here from the day rows, so no full rebuild is needed.
The day rows are indexed by their previous days: a window that ended long ago finds the rows after
it whose previous days fall in it through those.

Revision ID: b81f3c6d9e20
Revises: a5d2b8e4c1f7
Create Date: 2026-12-07 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b81f3c6d9e20'
down_revision = 'a5d2b8e4c1f7'
branch_labels = None
depends_on = None


def _fill(mark: str, day_table: str, keys: list[str], depth: int) -> None:
    """The marks of every day from the day rows, as ``journeys.Marks.rows`` builds them (frozen
    here in SQL: a migration must not follow later changes of the app's code)."""
    key_list = ", ".join(keys)
    prevs = [f"as_prev{k}" for k in range(1, depth + 1)]
    # The first SELECT names the union's columns.
    parts = [f"SELECT {key_list}, day, n, {', '.join(f'0 AS {p}' for p in prevs)} FROM {day_table}"]
    for k in range(1, depth + 1):
        counts = ["n" if j == k else "0" for j in range(1, depth + 1)]
        parts.append(f"SELECT {key_list}, prev{k}, 0, {', '.join(counts)} FROM {day_table} WHERE prev{k} IS NOT NULL")
    op.execute(
        f"INSERT INTO {mark} ({key_list}, day, n, {', '.join(prevs)}) "
        f"SELECT {key_list}, day, SUM(n), {', '.join(f'SUM({p})' for p in prevs)} "
        f"FROM ({' UNION ALL '.join(parts)}) AS marks GROUP BY {key_list}, day"
    )


def upgrade():
    op.create_table('analytics_attempt_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('as_prev1', sa.Integer(), nullable=False),
    sa.Column('as_prev2', sa.Integer(), nullable=False),
    sa.Column('as_prev3', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['credential_id'], ['credential.id'], name=op.f('fk_analytics_attempt_mark_credential_id_credential'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_attempt_mark'))
    )
    with op.batch_alter_table('analytics_attempt_mark', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_attempt_mark_credential_day', ['credential_id', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_analytics_attempt_mark_day'), ['day'], unique=False)

    op.create_table('analytics_stack_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stack_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('as_prev1', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['stack_id'], ['credential.id'], name=op.f('fk_analytics_stack_mark_stack_id_credential'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_stack_mark'))
    )
    with op.batch_alter_table('analytics_stack_mark', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analytics_stack_mark_day'), ['day'], unique=False)
        batch_op.create_index('ix_analytics_stack_mark_stack_day', ['stack_id', 'day'], unique=False)

    with op.batch_alter_table('analytics_attempt_day', schema=None) as batch_op:
        for k in (1, 2, 3):
            batch_op.create_index(f'ix_analytics_attempt_day_prev{k}', [f'prev{k}'], unique=False)
    with op.batch_alter_table('analytics_stack_day', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_stack_day_prev1', ['prev1'], unique=False)

    _fill("analytics_attempt_mark", "analytics_attempt_day", ["credential_id", "kind", "passed"], 3)
    _fill("analytics_stack_mark", "analytics_stack_day", ["stack_id", "kind"], 1)


def downgrade():
    with op.batch_alter_table('analytics_stack_day', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_stack_day_prev1')
    with op.batch_alter_table('analytics_attempt_day', schema=None) as batch_op:
        for k in (3, 2, 1):
            batch_op.drop_index(f'ix_analytics_attempt_day_prev{k}')

    with op.batch_alter_table('analytics_stack_mark', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_stack_mark_stack_day')
        batch_op.drop_index(batch_op.f('ix_analytics_stack_mark_day'))

    op.drop_table('analytics_stack_mark')
    with op.batch_alter_table('analytics_attempt_mark', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analytics_attempt_mark_day'))
        batch_op.drop_index('ix_analytics_attempt_mark_credential_day')

    op.drop_table('analytics_attempt_mark')
