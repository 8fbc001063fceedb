"""further e-mail addresses of a user (verified ones are badge identities)

Adds email_address: an address a user added, with the hash of the confirmation
link's secret and when it was verified. Verification of a badge accepts any
verified address of its earner.

Revision ID: c4e8a2f1b9d3
Revises: 51d2e875db88
Create Date: 2026-12-01 23:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = 'c4e8a2f1b9d3'
down_revision = '51d2e875db88'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('email_address',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('verified_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('token_sent_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_email_address_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_address')),
    sa.UniqueConstraint('email', name=op.f('uq_email_address_email')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_email_address_token_hash'))
    )
    with op.batch_alter_table('email_address', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_address_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('email_address', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_address_user_id'))

    op.drop_table('email_address')
