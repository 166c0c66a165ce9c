"""All models, imported here so Alembic and the app see the whole schema."""
from app.models.accounts import User, UserSession, VerificationCode  # noqa: F401
from app.models.audit import AuditEvent  # noqa: F401
from app.models.billing import Payment, Refund, StripeEvent  # noqa: F401
from app.models.calendars import CalendarBusy, ExternalCalendar  # noqa: F401
from app.models.courses import Course, Enrollment, Lesson, LessonProgress, LessonResource, Module  # noqa: F401
from app.models.diary import (  # noqa: F401
    DiaryEntry,
    DiaryPreferences,
    Flare,
    FlareLabSettings,
    MedicationLog,
    MedicationPlan,
    TryptaseResult,
)
from app.models.intake import IntakeResponse, LabUpload, SymptomCheckIn  # noqa: F401
from app.models.notes import ConsultationNote, NoteAddendum  # noqa: F401
from app.models.notify import OutboxMessage  # noqa: F401
from app.models.retention import RetainedPatient  # noqa: F401
from app.models.scheduling import (  # noqa: F401
    Appointment,
    ConsultationType,
    DateOverride,
    PractitionerProfile,
    TimeOff,
    WeeklyAvailability,
)
from app.models.storage import StoredFile  # noqa: F401
from app.models.waitlist import WaitlistEntry, WaitlistOffer  # noqa: F401
