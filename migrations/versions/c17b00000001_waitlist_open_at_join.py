"""waitlist entries remember the times open when the patient joined: only times that open up later are offered (issue 20)

Revision ID: c17b00000001
Revises: c1400000001
Create Date: 2026-12-07 21:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c17b00000001'
down_revision = 'c1400000001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open_at_join', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.drop_column('open_at_join')
