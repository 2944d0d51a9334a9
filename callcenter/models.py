"""Every ORM model, imported once so ``metadata`` is complete for Alembic and the tests."""

from callcenter.contacts import models as contact_models  # noqa: F401
from callcenter.db import Base
from callcenter.flowstore import models as flowstore_models  # noqa: F401
from callcenter.users import models as user_models  # noqa: F401

metadata = Base.metadata
