from pos.models import Outlet, Terminal


def make_terminal(property, *, outlet_code="bar", outlet_name="Bar", name="Caisse 1") -> Terminal:
    outlet, _ = Outlet.objects.get_or_create(
        property=property, code=outlet_code, defaults={"name": outlet_name, "kind": "bar"}
    )
    return Terminal.objects.create(property=property, outlet=outlet, name=name)
