"""The company's structure: department sub-trees and who supervises whom (SPEC §0)."""

from .models import Department, User


def department_subtree_ids(department_id: int | None) -> set[int]:
    """The department and every department below it."""
    if department_id is None:
        return set()
    children: dict[int | None, list[int]] = {}
    for dept_id, parent_id in Department.objects.values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(dept_id)
    found, stack = set(), [department_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, ()))
    return found


def supervisor_of(user: User) -> User | None:
    """The head of the user's department; for a head, the head of the nearest department above."""
    department = user.department
    seen = set()
    while department is not None and department.pk not in seen:
        seen.add(department.pk)
        head = department.head
        if head is not None and head.pk != user.pk and head.is_active:
            return head
        department = department.parent
    return None


def recipient_for(user: User | None, *, supervisor: bool) -> User | None:
    """Whom a robot tells about ``user``'s card: ``user``, or with ``supervisor`` their supervisor
    (None when they have none). Nobody when there is no user."""
    if supervisor and user is not None:
        return supervisor_of(user)
    return user
