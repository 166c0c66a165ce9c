"""session tokens hashed at rest: user_sessions.token now holds the SHA-256 of the cookie's token

Rows written before hold the token itself, which would no longer match: they are deleted, so everyone
signs in once more after the upgrade.

Revision ID: c1400000001
Revises: c1200000002
Create Date: 2026-12-07
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c1400000001'
down_revision = 'c1200000002'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM user_sessions")


def downgrade():
    op.execute("DELETE FROM user_sessions")  # digests are not tokens: sign in again after a downgrade
