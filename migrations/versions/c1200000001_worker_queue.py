"""task queue: outbox failures, refund claims, periodic runs

Revision ID: c1200000001
Revises: c1600000002
Create Date: 2026-12-07 10:15:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = 'c1200000001'
down_revision = 'c1600000002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', app.models.types.UTCDateTime(), nullable=True))
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_until', app.models.types.UTCDateTime(), nullable=True))
    op.create_table(
        'worker_runs',
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('last_run_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('last_result', sa.String(length=200), nullable=False, server_default=''),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_runs')),
    )


def downgrade():
    op.drop_table('worker_runs')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_column('claimed_until')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('failed_at')
