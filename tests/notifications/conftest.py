import pytest
from django.test.signals import template_rendered

from config.celery import app


@pytest.fixture(autouse=True)
def _deliveries_run_inline(eager_celery):
    """Deliveries run inline when published, as a worker would run them."""


@pytest.fixture
def broker_down():
    """Publishing goes to a Redis port nobody listens on; yields a function that brings the broker back."""
    saved = app.conf.broker_url, app.conf.task_always_eager

    def reset_pools():
        # Celery caches its connection pools; new ones are built from the current broker_url.
        app._pool = None
        app.amqp._producer_pool = None

    def bring_back():
        app.conf.broker_url, app.conf.task_always_eager = saved
        reset_pools()

    app.conf.broker_url = "redis://127.0.0.1:9/0"
    app.conf.task_always_eager = False
    reset_pools()
    yield bring_back
    bring_back()


@pytest.fixture
def renders():
    """How many times each template file is rendered (Django's test instrumentation tells)."""
    counted: dict[str, int] = {}

    def count(sender, template, **_kwargs):
        counted[template.name] = counted.get(template.name, 0) + 1

    template_rendered.connect(count)
    yield counted
    template_rendered.disconnect(count)
