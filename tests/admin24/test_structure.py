import pytest

from admin24.structure import department_subtree_ids, recipient_for, supervisor_of, supervisors_of
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    """Директор heads the company; Продажи (headed by Петров) has a sub-team Регионы with no head."""
    director = UserFactory(username="director")
    root = DepartmentFactory(name="Компания", head=director)
    director.department = root
    director.save()
    sales_head = UserFactory(username="sales_head")
    sales = DepartmentFactory(name="Продажи", parent=root, head=sales_head)
    sales_head.department = sales
    sales_head.save()
    regions = DepartmentFactory(name="Регионы", parent=sales)
    return {"director": director, "root": root, "sales_head": sales_head, "sales": sales, "regions": regions}


def test_a_members_supervisor_is_the_head_of_their_department(company):
    manager = UserFactory(department=company["sales"])
    assert supervisor_of(manager) == company["sales_head"]


def test_a_heads_supervisor_is_the_head_of_the_parent_department(company):
    assert supervisor_of(company["sales_head"]) == company["director"]


def test_a_department_without_head_defers_to_the_parent(company):
    regional = UserFactory(department=company["regions"])
    assert supervisor_of(regional) == company["sales_head"]


def test_the_top_head_and_users_without_department_have_no_supervisor(company):
    assert supervisor_of(company["director"]) is None
    assert supervisor_of(UserFactory()) is None


def test_an_inactive_head_is_skipped(company):
    company["sales_head"].is_active = False
    company["sales_head"].save()
    manager = UserFactory(department=company["sales"])
    assert supervisor_of(manager) == company["director"]


def test_recipient_for_is_the_user_or_their_supervisor(company):
    manager = UserFactory(department=company["sales"])
    assert recipient_for(manager, supervisor=False) == manager
    assert recipient_for(manager, supervisor=True) == company["sales_head"]
    assert recipient_for(company["director"], supervisor=True) is None
    assert recipient_for(None, supervisor=True) is None
    assert recipient_for(None, supervisor=False) is None


def test_subtree_holds_the_department_and_everything_below(company):
    assert department_subtree_ids(company["sales"].pk) == {company["sales"].pk, company["regions"].pk}
    assert department_subtree_ids(company["root"].pk) == {
        d.pk for d in (company["root"], company["sales"], company["regions"])
    }
    assert department_subtree_ids(None) == set()


def test_supervisors_of_many_users_follow_the_one_user_rule_in_two_queries(company, django_assert_num_queries):
    company["sales_head"].is_active = False
    company["sales_head"].save()
    users = [
        UserFactory(department=company["sales"]),  # inactive head: the director
        UserFactory(department=company["regions"]),  # no head: up to Продажи, inactive: the director
        company["sales_head"],
        company["director"],  # the top head: nobody
        UserFactory(),  # no department: nobody
    ]
    with django_assert_num_queries(2):
        found = supervisors_of(users)
    assert found == {user.pk: supervisor_of(user) for user in users}
    assert list(found.values()) == [company["director"], company["director"], company["director"], None, None]
