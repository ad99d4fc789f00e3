from django.db import migrations, models
import django.db.models.deletion
import django.utils.timezone


class Migration(migrations.Migration):

    dependencies = [
        ("programs", "0011_date_bounds"),
    ]

    operations = [
        migrations.CreateModel(
            name='ScanError',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('programme_code', models.CharField(blank=True, max_length=40)),
                ('as_of', models.DateField()),
                ('occurred_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('reason', models.TextField()),
                ('details', models.TextField(blank=True)),
                ('programme', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='programs.programme')),
            ],
            options={
                'ordering': ['-occurred_at', '-id'],
            },
        ),
    ]
