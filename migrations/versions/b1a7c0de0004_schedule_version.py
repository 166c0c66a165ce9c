"""schedule version: a counter that keys cached open times

Revision ID: b1a7c0de0004
Revises: b1a7c0de0003
Create Date: 2026-11-29 21:00:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = 'b1a7c0de0004'
down_revision = 'b1a7c0de0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('practitioner_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schedule_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('practitioner_profiles', schema=None) as batch_op:
        batch_op.drop_column('schedule_version')
