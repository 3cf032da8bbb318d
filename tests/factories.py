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


# --- CRM (h_crm) ----------------------------------------------------------------------------


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "crm.Company"

    name = factory.Sequence(lambda n: f"ООО «Клиент {n}»")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "crm.Contact"
        skip_postgeneration_save = True

    full_name = factory.Sequence(lambda n: f"Петров Пётр {n}")

    @factory.post_generation
    def emails(self, create, extracted, **kwargs):
        for position, email in enumerate(extracted or ()):
            self.emails.create(email=email, position=position)

    @factory.post_generation
    def phones(self, create, extracted, **kwargs):
        for position, phone in enumerate(extracted or ()):
            self.phones.create(phone=phone, position=position)


class LeadFactory(factory.django.DjangoModelFactory):
    """A lead row as it is stored; use crm.services.leads.lead_create to get the robots' effects."""

    class Meta:
        model = "crm.Lead"

    title = factory.Sequence(lambda n: f"Заявка {n}")
    contact_name = "Сидоров Сидор"
    email = factory.Sequence(lambda n: f"client{n}@example.org")
    source = "manual"


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "crm.Deal"

    title = factory.Sequence(lambda n: f"Сделка {n}")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "crm.Task"

    title = factory.Sequence(lambda n: f"Задача {n}")


class ServiceFactory(factory.django.DjangoModelFactory):
    """A Service Desk service; pass responsible= to have new tickets assigned."""

    class Meta:
        model = "servicedesk.Service"

    name = factory.Sequence(lambda n: f"Услуга {n}")
    active = True
