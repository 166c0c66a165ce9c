"""worker_locks (one periodic run per tick across hosts, one calendar sync at a time), worker_runs.runs

Revision ID: c17c00000001
Revises: c17a00000001
Create Date: 2026-12-07 21:10:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = 'c17c00000001'
down_revision = 'c17a00000001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'worker_locks',
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('tick', app.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('held_until', app.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_locks')),
    )
    with op.batch_alter_table('worker_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('runs', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('worker_runs', schema=None) as batch_op:
        batch_op.drop_column('runs')
    op.drop_table('worker_locks')
