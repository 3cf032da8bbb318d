"""Access rights: the queryset filter and the object check agree, level by level."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.utils import translation

from admin24 import access
from admin24.models import AccessRule, Department
from admin24.roles import Role
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


class OwnedDepartment(Department):
    """Departments stand in for any owned entity: the head is the 'responsible'."""

    access_entity = access.Entity.LEAD
    access_owner_field = "head"

    class Meta:
        proxy = True
        app_label = "admin24"


@pytest.fixture
def org():
    sales = DepartmentFactory(name="Продажи")
    regions = DepartmentFactory(name="Регионы", parent=sales)
    support = DepartmentFactory(name="Поддержка")
    supervisor = UserFactory(department=sales, roles=[Role.SUPERVISOR])
    manager = UserFactory(department=sales, roles=[Role.SALES_MANAGER])
    regional = UserFactory(department=regions, roles=[Role.SALES_MANAGER])
    engineer = UserFactory(department=support, roles=[Role.SUPPORT_ENGINEER])
    records = {
        user.username: OwnedDepartment.objects.create(name=f"запись {user.username}", head=user)
        for user in (supervisor, manager, regional, engineer)
    }
    return {
        "supervisor": supervisor,
        "manager": manager,
        "regional": regional,
        "engineer": engineer,
        "records": records,
    }


def visible(user):
    qs = OwnedDepartment.objects.filter(name__startswith="запись")
    return set(access.filter_queryset(user, qs).values_list("head__username", flat=True))


def test_a_manager_with_own_sees_only_his_records(org):
    manager = org["manager"]
    assert visible(manager) == {manager.username}
    assert access.can(manager, org["records"][manager.username])
    assert not access.can(manager, org["records"][org["regional"].username])


def test_a_supervisor_with_department_sees_the_whole_subtree(org):
    supervisor = org["supervisor"]
    expected = {supervisor.username, org["manager"].username, org["regional"].username}
    assert visible(supervisor) == expected
    assert access.can(supervisor, org["records"][org["regional"].username])
    assert not access.can(supervisor, org["records"][org["engineer"].username])


def test_department_level_does_not_reach_up_the_tree(org):
    """The regional manager's department is below sales; made a supervisor, he sees only his branch."""
    regional = org["regional"]
    regional.groups.set([Group.objects.get(name=Role.SUPERVISOR)])
    assert visible(regional) == {regional.username}
    assert not access.can(regional, org["records"][org["manager"].username])


def test_no_rule_means_no_access(org):
    engineer = org["engineer"]
    assert visible(engineer) == set()
    assert not access.can(engineer, org["records"][engineer.username])


def test_administrators_and_superusers_see_everything(org):
    admin = UserFactory(roles=[Role.ADMINISTRATOR])
    root = UserFactory(is_superuser=True)
    assert visible(admin) == set(org["records"])
    assert visible(root) == set(org["records"])


def test_the_highest_level_of_all_roles_wins(org):
    manager = org["manager"]
    manager.groups.add(Group.objects.get(name=Role.SUPERVISOR))
    assert visible(manager) == {org["supervisor"].username, manager.username, org["regional"].username}


def test_actions_are_separate(org):
    manager = org["manager"]
    rule = AccessRule.objects.get(role__name=Role.SALES_MANAGER, entity="lead", action="delete")
    rule.level = access.Level.NONE
    rule.save()
    own = org["records"][manager.username]
    assert access.can(manager, own, access.Action.EDIT)
    assert not access.can(manager, own, access.Action.DELETE)
    assert not access.filter_queryset(manager, OwnedDepartment.objects.all(), access.Action.DELETE).exists()


def test_anonymous_and_inactive_users_get_nothing(org):
    from django.contrib.auth.models import AnonymousUser

    assert access.level_for(AnonymousUser(), "lead") == access.Level.NONE
    manager = org["manager"]
    manager.is_active = False
    assert visible(manager) == set()


def test_require_lets_through_what_can_allows_and_refuses_the_rest_with_a_message(org):
    manager, regional = org["manager"], org["regional"]
    own, other = org["records"][manager.username], org["records"][regional.username]
    access.require(manager, own, access.Action.EDIT)
    with pytest.raises(PermissionDenied) as refused:
        access.require(manager, other, access.Action.EDIT)
    assert str(refused.value) == "Вам нельзя изменять эту карточку."
    with translation.override("en"), pytest.raises(PermissionDenied) as refused:
        access.require(manager, other, access.Action.READ)
    assert str(refused.value) == "You may not see this card."
    with pytest.raises(PermissionDenied) as refused:
        access.require(manager, other, access.Action.EDIT, message="Not yours")
    assert str(refused.value) == "Not yours"


def test_require_does_not_bind_the_system(org):
    # by=None: a robot, the clock or an import acts; no rule applies to it.
    access.require(None, org["records"][org["regional"].username], access.Action.DELETE)


def test_seeded_defaults_match_the_roles():
    def level(role, entity, action):
        return AccessRule.objects.get(role__name=role, entity=entity, action=action).level

    assert level(Role.SALES_MANAGER, "lead", "read") == access.Level.OWN
    assert level(Role.SALES_MANAGER, "deal", "edit") == access.Level.OWN
    assert level(Role.SUPERVISOR, "deal", "read") == access.Level.DEPARTMENT
    assert level(Role.ADMINISTRATOR, "ticket", "delete") == access.Level.ALL
    assert level(Role.SUPPORT_ENGINEER, "ticket", "edit") == access.Level.ALL
    assert level(Role.SUPPORT_ENGINEER, "company", "read") == access.Level.ALL
    assert level(Role.SUPPORT_ENGINEER, "company", "edit") == access.Level.NONE
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.ALL)
