"""Who performs a service call, and what their role lets them do."""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.users.models import Role, User


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    role: Role
    reads_others_private_notes: bool = False

    @classmethod
    def of(cls, user: User, *, agents_read_others_private_notes: bool = False) -> Actor:
        reads_all = user.role is not Role.AGENT or agents_read_others_private_notes
        return cls(user_id=user.id, role=user.role, reads_others_private_notes=reads_all)

    @property
    def manages_others(self) -> bool:
        """Supervisors and admins assign work to other people; agents only to themselves."""
        return self.role in (Role.SUPERVISOR, Role.ADMIN)

    @property
    def private_note_filter(self) -> int | None:
        """The author whose private notes this actor may read, or None for all of them."""
        return None if self.reads_others_private_notes else self.user_id


SYSTEM = Actor(user_id=None, role=Role.ADMIN, reads_others_private_notes=True)
