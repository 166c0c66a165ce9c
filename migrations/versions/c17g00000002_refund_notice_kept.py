"""a visit moved after its full-refund notice passed keeps that notice

Revision ID: c17g00000002
Revises: c17l00000001
Create Date: 2026-12-07 21:50:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = 'c17g00000002'
down_revision = 'c17l00000001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refund_notice_closed_at', app.models.types.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('refund_notice_closed_at')
