"""intake: questionnaire responses, check-ins, lab uploads

Revision ID: b1a7c0de0001
Revises: 27e35be31418
Create Date: 2026-11-29 20:20:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = 'b1a7c0de0001'
down_revision = '27e35be31418'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
