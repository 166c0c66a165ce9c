"""waitlist, per-type cancellation/reschedule cut-offs, video links, practice contact

Revision ID: c1600000002
Revises: c1600000001
Create Date: 2026-12-07 05:40:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = 'c1600000002'
down_revision = 'c1600000001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('practitioner_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), server_default='', nullable=False))
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=40), server_default='', nullable=False))
    with op.batch_alter_table('consultation_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('video_link', sa.String(length=10), server_default='fixed', nullable=False))
        batch_op.add_column(sa.Column('patient_cancel_cutoff_hours', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('patient_reschedule_cutoff_hours', sa.Integer(), nullable=True))
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('video_url', sa.String(length=500), nullable=True))
    op.create_table(
        'waitlist_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('consultation_type_id', sa.Integer(), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('earliest', sa.Time(), nullable=True),
        sa.Column('latest', sa.Time(), nullable=True),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('left_at', app.models.types.UTCDateTime(), nullable=True),
        sa.CheckConstraint('first_day <= last_day', name=op.f('ck_waitlist_entries_days_in_order')),
        sa.CheckConstraint('(earliest IS NULL AND latest IS NULL) OR earliest < latest',
                           name=op.f('ck_waitlist_entries_times_in_order')),
        sa.ForeignKeyConstraint(['consultation_type_id'], ['consultation_types.id'],
                                name=op.f('fk_waitlist_entries_consultation_type_id_consultation_types'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_waitlist_entries_patient_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_entries')),
    )
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waitlist_entries_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_waitlist_entries_type_status', ['consultation_type_id', 'status', 'created_at'],
                              unique=False)
    op.create_table(
        'waitlist_offers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('offered_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('expires_at', app.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'],
                                name=op.f('fk_waitlist_offers_appointment_id_appointments'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['entry_id'], ['waitlist_entries.id'],
                                name=op.f('fk_waitlist_offers_entry_id_waitlist_entries'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_waitlist_offers')),
        sa.UniqueConstraint('appointment_id', name=op.f('uq_waitlist_offers_appointment_id')),
    )
    with op.batch_alter_table('waitlist_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waitlist_offers_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index('uq_waitlist_offers_open_entry', ['entry_id'], unique=True,
                              sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))


def downgrade():
    op.drop_table('waitlist_offers')
    op.drop_table('waitlist_entries')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('video_url')
    with op.batch_alter_table('consultation_types', schema=None) as batch_op:
        batch_op.drop_column('patient_reschedule_cutoff_hours')
        batch_op.drop_column('patient_cancel_cutoff_hours')
        batch_op.drop_column('video_link')
    with op.batch_alter_table('practitioner_profiles', schema=None) as batch_op:
        batch_op.drop_column('contact_phone')
        batch_op.drop_column('contact_email')
