from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0002_mobile_validator"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_active",
            field=models.BooleanField(default=False, verbose_name="邮箱验证状态"),
        ),
    ]
