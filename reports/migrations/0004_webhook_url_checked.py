import reports.netguard
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0003_delivery_protocol'),
    ]

    operations = [
        migrations.AlterField(
            model_name='responseteam',
            name='webhook_url',
            field=models.URLField(blank=True, help_text='必须是 https:// 地址，且不能指向内网、本机或保留地址。', validators=[reports.netguard.validate_webhook_url], verbose_name='Webhook 地址'),
        ),
    ]
