"""external calendars: the practitioner's CalDAV / .ics calendars and their busy times

Revision ID: c1600000001
Revises: c1500000001
Create Date: 2026-12-07 05:45:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = 'c1600000001'
down_revision = 'c1500000001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'external_calendars',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('practitioner_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('secret', sa.Text(), nullable=False),
        sa.Column('address_hint', sa.String(length=300), nullable=False),
        sa.Column('store_titles', sa.Boolean(), nullable=False),
        sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_attempt_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_success_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=False),
        sa.Column('busy_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner_profiles.id'],
                                name=op.f('fk_external_calendars_practitioner_id_practitioner_profiles'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_external_calendars')),
    )
    with op.batch_alter_table('external_calendars', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_calendars_practitioner_id'), ['practitioner_id'], unique=False)
    op.create_table(
        'calendar_busy',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('calendar_id', sa.Integer(), nullable=False),
        sa.Column('practitioner_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('ends_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=True),
        sa.CheckConstraint('starts_at < ends_at', name=op.f('ck_calendar_busy_start_before_end')),
        sa.ForeignKeyConstraint(['calendar_id'], ['external_calendars.id'],
                                name=op.f('fk_calendar_busy_calendar_id_external_calendars'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner_profiles.id'],
                                name=op.f('fk_calendar_busy_practitioner_id_practitioner_profiles'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_busy')),
    )
    with op.batch_alter_table('calendar_busy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_busy_calendar_id'), ['calendar_id'], unique=False)
        batch_op.create_index('ix_calendar_busy_practitioner_start', ['practitioner_id', 'starts_at'], unique=False)


def downgrade():
    with op.batch_alter_table('calendar_busy', schema=None) as batch_op:
        batch_op.drop_index('ix_calendar_busy_practitioner_start')
        batch_op.drop_index(batch_op.f('ix_calendar_busy_calendar_id'))
    op.drop_table('calendar_busy')
    with op.batch_alter_table('external_calendars', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_calendars_practitioner_id'))
    op.drop_table('external_calendars')
