"""stored_files: lab upload bytes in the database, so every host sees them (issue 12)

Copies the files this host has under UPLOAD_FOLDER (when run by `flask db upgrade`); files on other
hosts are copied by running `flask import-uploads` there.

Revision ID: c1200000002
Revises: c1200000001
Create Date: 2026-12-07 10:10:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = 'c1200000002'
down_revision = 'c1200000001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stored_files',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_stored_files')),
    )
    try:
        from flask import current_app
        folder = current_app.config.get("UPLOAD_FOLDER")
    except RuntimeError:  # Alembic run without the app: `flask import-uploads` does it later
        folder = None
    if folder:
        from app.storage import import_folder
        import_folder(op.get_bind(), folder)


def downgrade():
    op.drop_table('stored_files')
