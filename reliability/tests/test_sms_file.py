"""The file SMS backend that lets tests read codes sent by real server processes."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from users.sms import SmsSendError
from users.sms.file import FileBackend


def test_each_message_is_one_json_line(settings, tmp_path):
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    backend = FileBackend()
    backend.send(phone="+79991234567", text="Your login code: 123456")
    backend.send(phone="+79990000000", text="Your login code: 654321")
    lines = [json.loads(x) for x in (tmp_path / "sms.jsonl").read_text().splitlines()]
    assert [(m["phone"], m["text"][-6:]) for m in lines] == [
        ("+79991234567", "123456"),
        ("+79990000000", "654321"),
    ]


def test_needs_a_path(settings):
    settings.SMS_FILE_PATH = ""
    with pytest.raises(ImproperlyConfigured):
        FileBackend()


def test_an_unwritable_path_is_a_send_error(settings, tmp_path):
    settings.SMS_FILE_PATH = str(tmp_path / "missing-dir" / "sms.jsonl")
    with pytest.raises(SmsSendError):
        FileBackend().send(phone="+79991234567", text="x")
