"""The partner REST API (docs/api.md): serializers, viewsets and filtersets; thin."""
