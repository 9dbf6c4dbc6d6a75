from rest_framework import serializers

from ..models import User


class SmsCodeInputSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32)
    challenge_key = serializers.CharField(max_length=40, required=False, allow_blank=True)
    challenge_answer = serializers.CharField(max_length=32, required=False, allow_blank=True)


class LoginInputSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32)
    code = serializers.CharField(max_length=6, min_length=6)


class LoginOutputSerializer(serializers.Serializer):
    token = serializers.CharField()
    user_id = serializers.IntegerField()
    role = serializers.CharField()


class MeOutputSerializer(serializers.ModelSerializer):
    phone = serializers.CharField(source="masked_phone")
    street = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = User
        fields = ("id", "phone", "name", "role", "street")
