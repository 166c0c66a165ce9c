"""check-ins record medicine changes since the last one (issue 13)

Revision ID: c13b00000001
Revises: b1a7c0de0004
Create Date: 2026-12-07 05:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c13b00000001'
down_revision = 'b1a7c0de0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('symptom_check_ins', schema=None) as batch_op:
        batch_op.add_column(sa.Column('medication_changes', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('symptom_check_ins', schema=None) as batch_op:
        batch_op.drop_column('medication_changes')
