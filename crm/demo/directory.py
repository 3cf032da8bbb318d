"""The CRM directory part of `seed_demo`: a directory, leads in every stage of the board, tasks.

Idempotent: every card is looked up by its name first, so a second run adds nothing.
"""

import datetime

from django.utils import timezone

from admin24.models import User
from admin24.workflow import move

from ..models import Company, Contact, Lead, LeadSource, LeadStage, Task
from ..services.directory import company_create, contact_create
from ..services.leads import lead_create, lead_mark_duplicate_of
from ..services.tasks import task_create

COMPANIES = [
    # name, INN, KPP, address, website, responsible
    ("ООО «Ромашка»", "7701123451", "770101001", "Москва, ул. Тверская, 1", "https://romashka.example", "manager"),
    ("АО «Вектор»", "5003123458", "500301001", "Видное, Советская пл., 3", "https://vector.example", "manager2"),
    ("ООО «Нева Логистик»", "7810123451", "781001001", "Санкт-Петербург, Невский пр., 10", "", "sales_head"),
]

CONTACTS = [
    # full name, position, company, emails, phones, responsible
    (
        "Иванова Ольга Сергеевна",
        "Директор",
        "ООО «Ромашка»",
        ["olga@romashka.example"],
        ["+7 (916) 111-22-33"],
        "manager",
    ),
    (
        "Кузнецов Андрей",
        "Главный бухгалтер",
        "ООО «Ромашка»",
        ["buh@romashka.example"],
        ["+7 495 111-22-34"],
        "manager",
    ),
    (
        "Смирнов Павел Игоревич",
        "IT-специалист",
        "АО «Вектор»",
        ["p.smirnov@vector.example"],
        ["89262223344"],
        "manager2",
    ),
    (
        "Лебедева Анна",
        "Офис-менеджер",
        "ООО «Нева Логистик»",
        ["office@neva.example"],
        ["8 812 333 44 55"],
        "sales_head",
    ),
]

# title, source, contact name, email, phone, company, responsible, stage, computers, servers, offices
LEADS = [
    (
        "Обслуживание 15 ПК",
        LeadSource.WEB_FORM,
        "Петров Илья",
        "ilya@alfa.example",
        "",
        "ООО «Альфа»",
        "manager",
        LeadStage.NEW,
        15,
        1,
        1,
    ),
    (
        "Нужен системный администратор",
        LeadSource.EMAIL,
        "Соколова Мария",
        "maria@beta.example",
        "+7 903 100-00-01",
        "ИП Соколова",
        "manager2",
        LeadStage.NEW,
        4,
        0,
        1,
    ),
    (
        "Переезд офиса, настройка сети",
        LeadSource.PHONE,
        "Морозов Дмитрий",
        "",
        "+7 916 200-00-02",
        "ООО «Гамма»",
        "sales_head",
        LeadStage.IN_PROGRESS,
        25,
        2,
        2,
    ),
    (
        "Абонентское обслуживание",
        LeadSource.TELEGRAM,
        "Волкова Елена",
        "volkova@delta.example",
        "",
        "ООО «Дельта»",
        "manager",
        LeadStage.IN_PROGRESS,
        8,
        1,
        1,
    ),
    (
        "Не отвечают по телефону",
        LeadSource.WEB_FORM,
        "Новиков Сергей",
        "novikov@epsilon.example",
        "+7 925 300-00-03",
        "ООО «Эпсилон»",
        "manager",
        LeadStage.NO_ANSWER,
        12,
        1,
        1,
    ),
    (
        "Сервер 1С тормозит",
        LeadSource.API,
        "Козлова Ирина",
        "irina@zeta.example",
        "+7 926 400-00-04",
        "ООО «Зета»",
        "manager2",
        LeadStage.NO_ANSWER,
        30,
        3,
        2,
    ),
    (
        "Обслуживание сети магазинов",
        LeadSource.WEB_FORM,
        "Иванова Ольга Сергеевна",
        "olga@romashka.example",
        "",
        "ООО «Ромашка»",
        "manager",
        LeadStage.QUALIFIED,
        40,
        2,
        5,
    ),
    (
        "Письмо с неверным номером",
        LeadSource.EMAIL,
        "Неизвестный",
        "",
        "+7 000 000-00-00",
        "",
        "manager2",
        LeadStage.WRONG_CONTACTS,
        0,
        0,
        0,
    ),
    (
        "Купите наши окна!",
        LeadSource.WEB_FORM,
        "Окна-Сервис",
        "sale@okna.example",
        "",
        "",
        "manager",
        LeadStage.SPAM,
        0,
        0,
        0,
    ),
    (
        "Разработка мобильного приложения",
        LeadSource.EMAIL,
        "Орлов Кирилл",
        "kirill@theta.example",
        "",
        "ООО «Тета»",
        "sales_head",
        LeadStage.NOT_PROVIDED,
        0,
        0,
        0,
    ),
    (
        "Так и не дозвонились",
        LeadSource.WEB_FORM,
        "Фёдоров Антон",
        "anton@iota.example",
        "+7 927 500-00-05",
        "ООО «Йота»",
        "manager2",
        LeadStage.UNREACHABLE,
        6,
        0,
        1,
    ),
    (
        "Повторная заявка от «Вектора»",
        LeadSource.WEB_FORM,
        "Смирнов Павел Игоревич",
        "p.smirnov@vector.example",
        "",
        "АО «Вектор»",
        "manager2",
        LeadStage.DUPLICATE,
        20,
        2,
        1,
    ),
]

CLOSING_REASONS = {
    LeadStage.WRONG_CONTACTS: "Номер не существует",
    LeadStage.SPAM: "Реклама",
    LeadStage.NOT_PROVIDED: "Разработку ПО не ведём",
    LeadStage.DUPLICATE: "Клиент уже есть в базе",
}


def _users() -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(username__in=["manager", "manager2", "sales_head"])}


def _seed_directory(users) -> int:
    created = 0
    for name, inn, kpp, address, website, owner in COMPANIES:
        if not Company.objects.filter(name=name).exists():
            company_create(
                by=None, name=name, inn=inn, kpp=kpp, address=address, website=website, responsible=users[owner]
            )
            created += 1
    for full_name, position, company, emails, phones, owner in CONTACTS:
        if not Contact.objects.filter(full_name=full_name).exists():
            contact_create(
                by=None,
                full_name=full_name,
                position=position,
                company=Company.objects.get(name=company),
                emails=emails,
                phones=phones,
                responsible=users[owner],
            )
            created += 1
    return created


def _bring_to_stage(lead: Lead, stage: str) -> None:
    if stage == LeadStage.NEW:
        return
    if stage == LeadStage.NO_ANSWER:
        move(lead, LeadStage.NO_ANSWER, by=None)
        return
    if stage == LeadStage.UNREACHABLE:
        for _ in range(5):
            if lead.stage == LeadStage.NO_ANSWER:
                move(lead, LeadStage.IN_PROGRESS, by=None)
            move(lead, LeadStage.NO_ANSWER, by=None)
        return
    move(lead, LeadStage.IN_PROGRESS, by=None)
    if stage == LeadStage.DUPLICATE and not lead.is_possible_duplicate:
        lead_mark_duplicate_of(lead=lead, by=None, contact=Contact.objects.filter(full_name=lead.contact_name).first())
    if stage != LeadStage.IN_PROGRESS:
        move(lead, stage, by=None, reason=CLOSING_REASONS.get(stage, ""))


def _seed_leads(users) -> int:
    created = 0
    for title, source, contact, email, phone, company, owner, stage, computers, servers, offices in LEADS:
        if Lead.objects.filter(title=title).exists():
            continue
        lead = lead_create(
            by=None,
            source=source,
            title=title,
            contact_name=contact,
            email=email,
            phone=phone,
            company_name=company,
            responsible=users[owner],
            computers=computers,
            servers=servers,
            offices=offices,
            client_request=title,
        )
        _bring_to_stage(lead, stage)
        created += 1
    return created


def _seed_tasks(users) -> int:
    title = "Подготовить презентацию услуг для отдела продаж"
    if Task.objects.filter(title=title).exists():
        return 0
    task_create(
        title=title,
        responsible=users["sales_head"],
        deadline=timezone.now() + datetime.timedelta(days=2),
        checklist=["Тарифы", "Кейсы клиентов", "Отзывы"],
    )
    task_create(
        title="Проверить просроченные звонки",
        responsible=users["manager"],
        deadline=timezone.now() - datetime.timedelta(hours=3),
    )
    return 2


def seed_crm() -> str:
    users = _users()
    if len(users) < 3:
        return "skipped: the demo managers are missing"
    directory = _seed_directory(users)
    leads = _seed_leads(users)
    tasks = _seed_tasks(users)
    return f"{directory} directory cards, {leads} leads, {tasks} tasks created"
