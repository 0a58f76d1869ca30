"""Triggers: event and cron triggers, Once markers, the event outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('event_outbox',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('resource', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.String(length=24), nullable=False),
    sa.Column('dataset_id', sa.String(length=24), nullable=True),
    sa.Column('resource_id', sa.String(length=24), nullable=False),
    sa.Column('user_id', sa.String(length=24), nullable=True),
    sa.Column('created_at', sa.String(length=24), nullable=False),
    sa.Column('snapshot', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('triggers',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('project_id', sa.String(length=24), nullable=False),
    sa.Column('service_id', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('creator', sa.String(length=320), nullable=False),
    sa.Column('creator_id', sa.String(length=24), nullable=False),
    sa.Column('created_at', sa.String(length=24), nullable=False),
    sa.Column('updated_at', sa.String(length=24), nullable=False),
    sa.Column('updated_by', sa.String(length=320), nullable=True),
    sa.Column('next_fire_at', sa.String(length=24), nullable=True),
    sa.Column('doc', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('triggers', schema=None) as batch_op:
        batch_op.create_index('ix_triggers_due', ['type', 'active', 'next_fire_at'], unique=False)
        batch_op.create_index('ix_triggers_project_id', ['project_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_triggers_service_id'), ['service_id'], unique=False)

    op.create_table('trigger_fired',
    sa.Column('trigger_id', sa.String(length=24), nullable=False),
    sa.Column('resource_id', sa.String(length=24), nullable=False),
    sa.Column('created_at', sa.String(length=24), nullable=False),
    sa.ForeignKeyConstraint(['trigger_id'], ['triggers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('trigger_id', 'resource_id')
    )


def downgrade() -> None:
    op.drop_table('trigger_fired')
    with op.batch_alter_table('triggers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_triggers_service_id'))
        batch_op.drop_index('ix_triggers_project_id')
        batch_op.drop_index('ix_triggers_due')

    op.drop_table('triggers')
    op.drop_table('event_outbox')
