from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from hotline import selectors


@require_GET
def home(request):
    return render(request, "hotline/home.html")


@never_cache
@require_GET
def healthz(request):
    report = selectors.health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
