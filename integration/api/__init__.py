"""The partner API v1 (Django REST framework)."""
