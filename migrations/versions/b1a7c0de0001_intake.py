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
    op.create_table('intake_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('questionnaire_version', sa.String(length=20), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('saved_steps', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('version >= 1', name=op.f('ck_intake_responses_version_positive')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_intake_responses_appointment_id_appointments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_intake_responses_patient_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_responses')),
    sa.UniqueConstraint('appointment_id', 'version', name=op.f('uq_intake_responses_appointment_id'))
    )
    with op.batch_alter_table('intake_responses', schema=None) as batch_op:
        batch_op.create_index('ix_intake_responses_patient_created', ['patient_id', 'created_at'], unique=False)

    op.create_table('symptom_check_ins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('questionnaire_version', sa.String(length=20), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_symptom_check_ins_appointment_id_appointments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_symptom_check_ins_patient_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_symptom_check_ins'))
    )
    with op.batch_alter_table('symptom_check_ins', schema=None) as batch_op:
        batch_op.create_index('ix_symptom_check_ins_patient_created', ['patient_id', 'created_at'], unique=False)

    op.create_table('lab_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_lab_uploads_size_positive')),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_lab_uploads_patient_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_uploads')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_lab_uploads_stored_name'))
    )
    with op.batch_alter_table('lab_uploads', schema=None) as batch_op:
        batch_op.create_index('ix_lab_uploads_patient_created', ['patient_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('lab_uploads', schema=None) as batch_op:
        batch_op.drop_index('ix_lab_uploads_patient_created')

    op.drop_table('lab_uploads')
    with op.batch_alter_table('symptom_check_ins', schema=None) as batch_op:
        batch_op.drop_index('ix_symptom_check_ins_patient_created')

    op.drop_table('symptom_check_ins')
    with op.batch_alter_table('intake_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_intake_responses_patient_created')

    op.drop_table('intake_responses')
