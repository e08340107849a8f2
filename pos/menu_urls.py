"""An outlet's menu and quick keys in the manager's back office (/manage/catalogue/outlets/)."""

from django.urls import path

from pos.views import menus

app_name = "outlet_menus"

urlpatterns = [
    path("", menus.outlet_menus, name="list"),
    path("<int:pk>/", menus.outlet_menu_update, name="update"),
]
