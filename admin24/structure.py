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


def supervisors_of(users) -> dict[int, User | None]:
    """``supervisor_of`` for many users at once (the clock's batches), by user pk: the
    departments read in one query and their heads in another, whatever the number of users."""
    users = {user.pk: user for user in users if user is not None}
    if not users:
        return {}
    departments = {pk: (parent_id, head_id) for pk, parent_id, head_id in Department.objects.values_list(
        "id", "parent_id", "head_id")}  # fmt: skip
    heads = User.objects.filter(is_active=True).in_bulk({head for _parent, head in departments.values() if head})
    found = {}
    for pk, user in users.items():
        department, seen, found[pk] = user.department_id, set(), None
        while department is not None and department not in seen:
            seen.add(department)
            parent_id, head_id = departments.get(department, (None, None))
            if head_id is not None and head_id != pk and head_id in heads:
                found[pk] = heads[head_id]
                break
            department = parent_id
    return found


def recipient_for(user: User | None, *, supervisor: bool) -> User | None:
    """Whom a robot tells about ``user``'s card: ``user``, or with ``supervisor`` their supervisor
    (None when they have none). Nobody when there is no user."""
    if supervisor and user is not None:
        return supervisor_of(user)
    return user
