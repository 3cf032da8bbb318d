"""Every test's model factories, in one place."""

import factory
from django.contrib.auth.models import Group

from admin24.models import Department, User

DEMO_PASSWORD = "correct-horse-battery"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"Отдел {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = "Иван"
    last_name = factory.Sequence(lambda n: f"Иванов{n}")
    password = factory.PostGenerationMethodCall("set_password", DEMO_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(*[Group.objects.get(name=name) for name in extracted])
        if create:
            self.save()
