"""courses: courses, modules, lessons, enrolments, progress

Revision ID: b1a7c0de0003
Revises: b1a7c0de0002
Create Date: 2026-11-29 20:20:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = 'b1a7c0de0003'
down_revision = 'b1a7c0de0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('who_for', sa.Text(), nullable=False),
    sa.Column('price_minor', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('price_minor >= 0', name=op.f('ck_courses_price_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses')),
    sa.UniqueConstraint('slug', name=op.f('uq_courses_slug'))
    )
    op.create_table('course_modules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('drip_days', sa.Integer(), nullable=False),
    sa.CheckConstraint('drip_days >= 0', name=op.f('ck_course_modules_drip_not_negative')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_modules_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_modules'))
    )
    with op.batch_alter_table('course_modules', schema=None) as batch_op:
        batch_op.create_index('ix_course_modules_course_position', ['course_id', 'position'], unique=False)

    op.create_table('course_lessons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('preview', sa.Boolean(), nullable=False),
    sa.Column('updated_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('minutes > 0', name=op.f('ck_course_lessons_minutes_positive')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_lessons_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['course_modules.id'], name=op.f('fk_course_lessons_module_id_course_modules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_lessons')),
    sa.UniqueConstraint('course_id', 'slug', name='uq_course_lessons_course_slug')
    )
    with op.batch_alter_table('course_lessons', schema=None) as batch_op:
        batch_op.create_index('ix_course_lessons_module_position', ['module_id', 'position'], unique=False)

    op.create_table('lesson_resources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['course_lessons.id'], name=op.f('fk_lesson_resources_lesson_id_course_lessons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_resources'))
    )
    with op.batch_alter_table('lesson_resources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_resources_lesson_id'), ['lesson_id'], unique=False)

    op.create_table('course_enrollments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('enrolled_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("source IN ('purchase', 'granted')", name=op.f('ck_course_enrollments_known_source')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_enrollments_course_id_courses'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], name=op.f('fk_course_enrollments_granted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_course_enrollments_patient_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_course_enrollments_payment_id_payments'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_enrollments')),
    sa.UniqueConstraint('patient_id', 'course_id', name='uq_course_enrollments_patient_course')
    )
    with op.batch_alter_table('course_enrollments', schema=None) as batch_op:
        batch_op.create_index('ix_course_enrollments_course', ['course_id', 'enrolled_at'], unique=False)

    op.create_table('lesson_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('last_viewed_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['lesson_id'], ['course_lessons.id'], name=op.f('fk_lesson_progress_lesson_id_course_lessons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_lesson_progress_patient_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_progress')),
    sa.UniqueConstraint('patient_id', 'lesson_id', name='uq_lesson_progress_patient_lesson')
    )
    with op.batch_alter_table('lesson_progress', schema=None) as batch_op:
        batch_op.create_index('ix_lesson_progress_lesson', ['lesson_id'], unique=False)


def downgrade():
    with op.batch_alter_table('lesson_progress', schema=None) as batch_op:
        batch_op.drop_index('ix_lesson_progress_lesson')
    op.drop_table('lesson_progress')
    with op.batch_alter_table('course_enrollments', schema=None) as batch_op:
        batch_op.drop_index('ix_course_enrollments_course')
    op.drop_table('course_enrollments')
    with op.batch_alter_table('lesson_resources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_resources_lesson_id'))
    op.drop_table('lesson_resources')
    with op.batch_alter_table('course_lessons', schema=None) as batch_op:
        batch_op.drop_index('ix_course_lessons_module_position')
    op.drop_table('course_lessons')
    with op.batch_alter_table('course_modules', schema=None) as batch_op:
        batch_op.drop_index('ix_course_modules_course_position')
    op.drop_table('course_modules')
    op.drop_table('courses')
