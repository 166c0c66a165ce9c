"""a moved visit keeps its passed cancel deadline; the practitioner's photo and privacy notice

Revision ID: c17g00000001
Revises: c17b00000001
Create Date: 2026-12-07 21:20:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = 'c17g00000001'
down_revision = 'c17b00000001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_closed_at', app.models.types.UTCDateTime(), nullable=True))
    with op.batch_alter_table('practitioner_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('photo_type', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('privacy_notice', sa.Text(), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('practitioner_profiles', schema=None) as batch_op:
        batch_op.drop_column('privacy_notice')
        batch_op.drop_column('photo_type')
        batch_op.drop_column('photo_key')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('cancel_closed_at')
