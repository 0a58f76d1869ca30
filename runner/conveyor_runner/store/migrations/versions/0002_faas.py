"""FaaS ledger: packages, revisions, services, executions, logs, replicas; JSONB GIN indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

GIN_INDEXED = [("items", "metadata"), ("items", "doc"), ("annotations", "metadata"),
               ("executions", "input"), ("executions", "doc")]


def upgrade() -> None:

    op.create_table('execution_logs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('execution_id', sa.String(length=24), nullable=True),
    sa.Column('service_id', sa.String(length=24), nullable=False),
    sa.Column('replica_id', sa.String(length=100), nullable=True),
    sa.Column('timestamp', sa.String(length=24), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('execution_logs', schema=None) as batch_op:
        batch_op.create_index('ix_execution_logs_execution', ['execution_id', 'id'], unique=False)
        batch_op.create_index('ix_execution_logs_service', ['service_id', 'id'], unique=False)

    op.create_table('replicas',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('service_id', sa.String(length=24), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('busy', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.String(length=24), nullable=False),
    sa.Column('heartbeat_at', sa.String(length=24), nullable=False),
    sa.Column('info', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('replicas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_replicas_service_id'), ['service_id'], unique=False)

    op.create_table('executions',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('project_id', sa.String(length=24), nullable=False),
    sa.Column('service_id', sa.String(length=24), nullable=False),
    sa.Column('function_name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('to_terminate', sa.Boolean(), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('dispatch_id', sa.String(length=24), nullable=False),
    sa.Column('replica_id', sa.String(length=100), nullable=True),
    sa.Column('started_at', sa.String(length=24), nullable=True),
    sa.Column('creator', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.String(length=24), nullable=False),
    sa.Column('updated_at', sa.String(length=24), nullable=False),
    sa.Column('duration', sa.Double(), nullable=True),
    sa.Column('input', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('output', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('status_log', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('doc', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('executions', schema=None) as batch_op:
        batch_op.create_index('ix_executions_project_id', ['project_id', 'id'], unique=False)
        batch_op.create_index('ix_executions_service_status', ['service_id', 'status'], unique=False)
        batch_op.create_index('ix_executions_unpublished', ['published'], unique=False)

    op.create_table('packages',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('project_id', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('creator', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.String(length=24), nullable=False),
    sa.Column('updated_at', sa.String(length=24), nullable=False),
    sa.Column('doc', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'name', name='uq_packages_project_name')
    )
    with op.batch_alter_table('packages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_packages_project_id'), ['project_id'], unique=False)

    op.create_table('package_revisions',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('package_id', sa.String(length=24), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.String(length=24), nullable=False),
    sa.Column('doc', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['package_id'], ['packages.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('package_id', 'version', name='uq_package_revisions_version')
    )
    with op.batch_alter_table('package_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_package_revisions_package_id'), ['package_id'], unique=False)

    op.create_table('services',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('project_id', sa.String(length=24), nullable=False),
    sa.Column('package_id', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('package_revision', sa.String(length=64), nullable=False),
    sa.Column('module_name', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('bot_id', sa.String(length=24), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('creator', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.String(length=24), nullable=False),
    sa.Column('updated_at', sa.String(length=24), nullable=False),
    sa.Column('updated_by', sa.String(length=320), nullable=True),
    sa.Column('doc', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['package_id'], ['packages.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'name', name='uq_services_project_name')
    )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_services_package_id'), ['package_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_services_project_id'), ['project_id'], unique=False)

    # On PostgreSQL, DQL compiles JSON paths to jsonpath `@?`; GIN indexes serve them.
    if op.get_bind().dialect.name == "postgresql":
        for table, column in GIN_INDEXED:
            op.execute(f'CREATE INDEX IF NOT EXISTS ix_{table}_{column}_gin '
                       f'ON {table} USING gin ("{column}" jsonb_path_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, column in GIN_INDEXED:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_gin")

    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_services_project_id'))
        batch_op.drop_index(batch_op.f('ix_services_package_id'))

    op.drop_table('services')
    with op.batch_alter_table('package_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_package_revisions_package_id'))

    op.drop_table('package_revisions')
    with op.batch_alter_table('packages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_packages_project_id'))

    op.drop_table('packages')
    with op.batch_alter_table('executions', schema=None) as batch_op:
        batch_op.drop_index('ix_executions_unpublished')
        batch_op.drop_index('ix_executions_service_status')
        batch_op.drop_index('ix_executions_project_id')

    op.drop_table('executions')
    with op.batch_alter_table('replicas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_replicas_service_id'))

    op.drop_table('replicas')
    with op.batch_alter_table('execution_logs', schema=None) as batch_op:
        batch_op.drop_index('ix_execution_logs_service')
        batch_op.drop_index('ix_execution_logs_execution')

    op.drop_table('execution_logs')

