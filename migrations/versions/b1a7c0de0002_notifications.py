"""notifications: reminders sent, calendar feed token, email preferences

Revision ID: b1a7c0de0002
Revises: b1a7c0de0001
Create Date: 2026-11-29 20:20:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = 'b1a7c0de0002'
down_revision = 'b1a7c0de0001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
