"""Output serializers that build their fields once per thread, not once per response.

DRF builds a serializer's fields anew for each serializer it makes: it deep-copies every
declared field and binds the copies. For an output serializer that is most of its cost (the
profile's: bench/README.md, "Simpler core"). Once bound, a field keeps its name and
source; only its ``parent`` (where it finds the context: the request) belongs to one
response. So each thread keeps one bound set per class and points it at the serializer in use.
"""

import threading
from typing import Any

from django.utils.functional import cached_property
from rest_framework import serializers

_bound = threading.local()


class OutputSerializer(serializers.Serializer):
    """A serializer for responses; its fields are built once per thread."""

    @cached_property
    def fields(self) -> Any:
        sets: dict[type, Any] = _bound.__dict__.setdefault("sets", {})
        fields = sets.get(type(self))
        if fields is None:
            fields = sets[type(self)] = super().fields
        fields.serializer = self
        for field in fields.values():
            field.parent = self
        return fields
