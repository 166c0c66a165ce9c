"""consultation notes: structured notes per appointment (draft, signed, locked), dated addenda, and the
practitioner's note template

Revision ID: c17l00000001
Revises: c17g00000001
Create Date: 2026-12-07 21:40:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = 'c17l00000001'
down_revision = 'c17g00000001'
branch_labels = None
depends_on = None

SOAP = ["Subjective", "Objective", "Assessment", "Plan"]


def upgrade():
    op.create_table(
        'consultation_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=False),
        sa.Column('sections', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('updated_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('signed_at', app.models.types.UTCDateTime(), nullable=True),
        sa.Column('signed_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'signed')", name=op.f('ck_consultation_notes_note_status')),
        sa.CheckConstraint("(status = 'signed') = (signed_at IS NOT NULL)",
                           name=op.f('ck_consultation_notes_signed_has_time')),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'],
                                name=op.f('fk_consultation_notes_appointment_id_appointments'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['signed_by_id'], ['users.id'], name=op.f('fk_consultation_notes_signed_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_notes')),
        sa.UniqueConstraint('appointment_id', name=op.f('uq_consultation_notes_appointment_id')),
    )
    op.create_table(
        'note_addenda',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('note_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', app.models.types.UTCDateTime(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_note_addenda_author_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['note_id'], ['consultation_notes.id'], name=op.f('fk_note_addenda_note_id_consultation_notes'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_note_addenda')),
    )
    with op.batch_alter_table('note_addenda', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_note_addenda_note_id'), ['note_id'], unique=False)
    with op.batch_alter_table('practitioner_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note_sections', sa.JSON(), nullable=True))
    op.execute(sa.text("UPDATE practitioner_profiles SET note_sections = :soap")
               .bindparams(sa.bindparam("soap", SOAP, type_=sa.JSON())))
    with op.batch_alter_table('practitioner_profiles', schema=None) as batch_op:
        batch_op.alter_column('note_sections', existing_type=sa.JSON(), nullable=False)


def downgrade():
    with op.batch_alter_table('practitioner_profiles', schema=None) as batch_op:
        batch_op.drop_column('note_sections')
    with op.batch_alter_table('note_addenda', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_note_addenda_note_id'))
    op.drop_table('note_addenda')
    op.drop_table('consultation_notes')
