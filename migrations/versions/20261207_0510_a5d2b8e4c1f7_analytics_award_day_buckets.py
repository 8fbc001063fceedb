"""analytics award buckets: days to award in 14-day buckets, awards per credential, day and bucket

The median days to award reads a histogram and walks one bucket (``journeys.days_to_award``)
instead of sorting every award of the window. The award rows get their bucket here and the
histogram is filled from them, so no full rebuild is needed after the upgrade.

Revision ID: a5d2b8e4c1f7
Revises: 7303f5067f54
Create Date: 2026-12-07 05:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a5d2b8e4c1f7'
down_revision = '7303f5067f54'
branch_labels = None
depends_on = None

# journeys.AWARD_BUCKET when this revision was written (frozen: a later change of the width
# needs a migration of its own that recomputes the buckets).
WIDTH = 14.0


def upgrade():
    op.create_table('analytics_award_bucket_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('bucket', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['credential_id'], ['credential.id'], name=op.f('fk_analytics_award_bucket_day_credential_id_credential'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analytics_award_bucket_day'))
    )
    with op.batch_alter_table('analytics_award_bucket_day', schema=None) as batch_op:
        batch_op.create_index('ix_analytics_award_bucket_day_credential_day', ['credential_id', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_analytics_award_bucket_day_day'), ['day'], unique=False)

    with op.batch_alter_table('analytics_award_day', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bucket', sa.Integer(), nullable=False, server_default='0'))
    # sql.bucket_of: floor(days / width) on both databases (SQLite has no floor(): truncate, then
    # step down below 0). Days to award never reach the clamp of a million widths.
    scaled = f"(days_to_award / {WIDTH})"
    if op.get_bind().dialect.name == "postgresql":
        bucket = f"CAST(floor{scaled} AS INTEGER)"
    else:
        bucket = f"(CAST({scaled} AS INTEGER) - CASE WHEN {scaled} < CAST({scaled} AS INTEGER) THEN 1 ELSE 0 END)"
    op.execute(f"UPDATE analytics_award_day SET bucket = {bucket}")
    with op.batch_alter_table('analytics_award_day', schema=None) as batch_op:
        batch_op.alter_column('bucket', server_default=None)
        batch_op.create_index('ix_analytics_award_day_bucket', ['credential_id', 'bucket', 'days_to_award', 'day'], unique=False)
    op.execute(
        "INSERT INTO analytics_award_bucket_day (credential_id, day, bucket, n) "
        "SELECT credential_id, day, bucket, count(*) FROM analytics_award_day GROUP BY credential_id, day, bucket"
    )


def downgrade():
    with op.batch_alter_table('analytics_award_day', schema=None) as batch_op:
        batch_op.drop_index('ix_analytics_award_day_bucket')
        batch_op.drop_column('bucket')

    with op.batch_alter_table('analytics_award_bucket_day', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analytics_award_bucket_day_day'))
        batch_op.drop_index('ix_analytics_award_bucket_day_credential_day')

    op.drop_table('analytics_award_bucket_day')
