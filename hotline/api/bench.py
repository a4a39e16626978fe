"""Bare endpoints for `make bench-api` (scripts/bench_api): the floor the API is measured
against, on the same server and through the same middleware: one INSERT, one primary-key
SELECT, no authentication, no serializer. Routed only when HOTLINE_API_BENCH is on, which
nothing but the benchmark sets."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from hotline.models import Call


@csrf_exempt
@require_POST
def bare_insert(request):
    call = Call.objects.create(channel="phone", caller_type="anonymous", reason="not_related")
    return JsonResponse({"id": call.pk}, status=201)


def bare_select(model):
    @require_GET
    def view(request, pk):
        row = model.objects.filter(pk=pk).values("pk", "reference").first()
        return JsonResponse(row or {}, status=200 if row else 404)

    return view
