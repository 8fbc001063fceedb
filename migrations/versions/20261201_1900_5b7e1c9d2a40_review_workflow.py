"""review workflow: notifications, assignment reminders, agreement threshold

Revision ID: 5b7e1c9d2a40
Revises: 3ace2f7cac00
Create Date: 2026-12-01 19:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.db


revision = '5b7e1c9d2a40'
down_revision = '3ace2f7cac00'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', app.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('decision_policy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agreement_threshold', sa.Float(), server_default='0.5', nullable=False))


def downgrade():
    with op.batch_alter_table('decision_policy', schema=None) as batch_op:
        batch_op.drop_column('agreement_threshold')

    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_user_id'))
        batch_op.drop_index(batch_op.f('ix_notification_created_at'))

    op.drop_table('notification')
