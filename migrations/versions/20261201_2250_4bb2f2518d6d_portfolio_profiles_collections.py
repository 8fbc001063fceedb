"""portfolio: the opt-in public profile (handle, display name, headline), per-award
visibility, and the earner's ordered collections of awards

Revision ID: 4bb2f2518d6d
Revises: a7c4e2d91b30
Create Date: 2026-12-01 22:50:50.943260

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = '4bb2f2518d6d'
down_revision = 'a7c4e2d91b30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portfolio_collection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_portfolio_collection_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolio_collection')),
    sa.UniqueConstraint('user_id', 'name', name=op.f('uq_portfolio_collection_user_id_name'))
    )
    with op.batch_alter_table('portfolio_collection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portfolio_collection_user_id'), ['user_id'], unique=False)

    op.create_table('portfolio_profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('handle', sa.String(length=40), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=True),
    sa.Column('headline', sa.String(length=200), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_portfolio_profile_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolio_profile')),
    sa.UniqueConstraint('handle', name=op.f('uq_portfolio_profile_handle')),
    sa.UniqueConstraint('user_id', name=op.f('uq_portfolio_profile_user_id'))
    )
    op.create_table('portfolio_award_visibility',
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['award_id'], ['award.id'], name=op.f('fk_portfolio_award_visibility_award_id_award'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('award_id', name=op.f('pk_portfolio_award_visibility'))
    )
    op.create_table('portfolio_collection_item',
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['award_id'], ['award.id'], name=op.f('fk_portfolio_collection_item_award_id_award'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['collection_id'], ['portfolio_collection.id'], name=op.f('fk_portfolio_collection_item_collection_id_portfolio_collection'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('collection_id', 'award_id', name=op.f('pk_portfolio_collection_item'))
    )
    with op.batch_alter_table('portfolio_collection_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_portfolio_collection_item_award_id'), ['award_id'], unique=False)



def downgrade():
    with op.batch_alter_table('portfolio_collection_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portfolio_collection_item_award_id'))

    op.drop_table('portfolio_collection_item')
    op.drop_table('portfolio_award_visibility')
    op.drop_table('portfolio_profile')
    with op.batch_alter_table('portfolio_collection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portfolio_collection_user_id'))

    op.drop_table('portfolio_collection')
