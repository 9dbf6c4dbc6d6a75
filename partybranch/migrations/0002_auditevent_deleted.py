from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('partybranch', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='verb',
            field=models.CharField(choices=[('registered', '报名并确认'), ('waitlisted', '报名进入候补'), ('promoted', '候补转正'), ('cancelled', '取消报名'), ('checked_in', '签到'), ('checked_out', '签退'), ('hours_declared', '申报时长'), ('hours_approved', '时长审核通过'), ('hours_rejected', '时长审核未通过'), ('deleted', '删除记录(区级)')], max_length=20, verbose_name='事件'),
        ),
    ]
