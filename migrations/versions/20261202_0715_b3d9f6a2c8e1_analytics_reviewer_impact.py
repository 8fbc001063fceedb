"""analytics summaries for the reviewers and impact dashboards

Reviewer load per day, one row per counted classroom measure; an index on
submission.updated_at for the refresh's change look-up.

Revision ID: b3d9f6a2c8e1
Revises: e5a9c3d7f1b2
Create Date: 2026-12-02 07:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3d9f6a2c8e1'
down_revision = 'e5a9c3d7f1b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('analytics_reviewer_day',
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('assigned', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Integer(), nullable=False),
    sa.Column('open', sa.Integer(), nullable=False),
    sa.Column('closed_overdue', sa.Integer(), nullable=False),
    sa.Column('as_coach', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['credential_id'], ['credential.id'], name=op.f('fk_analytics_reviewer_day_credential_id_credential'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user.id'], name=op.f('fk_analytics_reviewer_day_reviewer_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('reviewer_id', 'credential_id', 'day', name=op.f('pk_analytics_reviewer_day'))
    )
    with op.batch_alter_table('analytics_reviewer_day', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analytics_reviewer_day_day'), ['day'], unique=False)

    op.create_table('analytics_impact_fact',
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('teacher_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=60), nullable=False),
    sa.Column('higher_is_better', sa.Boolean(), nullable=False),
    sa.Column('change', sa.Float(), nullable=False),
    sa.Column('relative', sa.Float(), nullable=True),
    sa.Column('students', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['credential_id'], ['credential.id'], name=op.f('fk_analytics_impact_fact_credential_id_credential'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['measure_id'], ['impact_measure.id'], name=op.f('fk_analytics_impact_fact_measure_id_impact_measure'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('measure_id', name=op.f('pk_analytics_impact_fact'))
    )
    with op.batch_alter_table('analytics_impact_fact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analytics_impact_fact_day'), ['day'], unique=False)

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index('ix_submission_updated_at', ['updated_at'], unique=False)

    # The new tables are empty: until the next refresh (which becomes a full one) every figure reads live.
    op.execute("UPDATE analytics_refresh SET kind = 'days' WHERE kind = 'full'")


def downgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_updated_at')
    with op.batch_alter_table('analytics_impact_fact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analytics_impact_fact_day'))
    op.drop_table('analytics_impact_fact')
    with op.batch_alter_table('analytics_reviewer_day', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analytics_reviewer_day_day'))
    op.drop_table('analytics_reviewer_day')
