# The activity log moved from the CRM to the kernel: its table (crm_activity) and rows stay where
# they are; only Django's idea of which app owns the model changes (crm 0007 drops it there).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('admin24', '0003_seed_constants'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
        migrations.CreateModel(
            name='Activity',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='when')),
                ('verb', models.CharField(choices=[('created', 'created'), ('updated', 'updated'), ('moved', 'moved'), ('assigned', 'assigned'), ('converted', 'converted'), ('task_created', 'task created'), ('task_completed', 'task completed'), ('task_reopened', 'task reopened'), ('reminder_sent', 'reminder sent'), ('duplicate_found', 'possible duplicate found'), ('note', 'note')], max_length=32, verbose_name='what')),
                ('text', models.TextField(blank=True, verbose_name='text')),
                ('target_id', models.PositiveBigIntegerField(verbose_name='target id')),
                ('data', models.JSONField(blank=True, default=dict, verbose_name='data')),
                ('actor', models.ForeignKey(blank=True, help_text='Empty when the system (a robot) did it.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='who')),
                ('target_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='contenttypes.contenttype', verbose_name='target type')),
            ],
            options={
                'verbose_name': 'activity',
                'verbose_name_plural': 'activities',
                'db_table': 'crm_activity',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['target_type', 'target_id', '-created_at'], name='crm_activity_timeline')],
            },
        ),
                ],
        ),
    ]
