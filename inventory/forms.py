"""Parsing of the manager's catalogue and promotion forms (types and required fields only:
the rules live in the services, which say why an input is refused)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.models import (
    ALLERGENS,
    BASE_UNITS,
    SALE_CHANNEL_FIELDS,
    VAT_RATE_CHOICES,
    Channel,
    Promotion,
    RevenueCategory,
    SaleChannel,
    StockLocation,
    StockUnit,
)


class AmountField(forms.DecimalField):
    """An amount typed the French way ("12,50") or the English way ("12.50")."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace(",", ".").replace(" ", "").replace("\u202f", "")
        return super().to_python(value)


class CategoryForm(forms.Form):
    name_fr = forms.CharField(label=_("name (French)"), max_length=100)
    name_en = forms.CharField(label=_("name (English)"), max_length=100, required=False)
    sort_order = forms.IntegerField(label=_("order"), min_value=0, initial=0, required=False)


class ProductForm(forms.Form):
    name_fr = forms.CharField(label=_("name (French)"), max_length=150)
    name_en = forms.CharField(label=_("name (English)"), max_length=150, required=False)
    code = forms.SlugField(label=_("code"), max_length=50)
    category = forms.TypedChoiceField(label=_("category"), coerce=int, required=False)
    price = AmountField(label=_("public price incl. VAT"), max_digits=12, decimal_places=2)
    vat_rate = forms.TypedChoiceField(
        label=_("VAT rate"),
        choices=[(str(r), label) for r, label in VAT_RATE_CHOICES],
        coerce=Decimal,
    )
    revenue_category = forms.ChoiceField(
        label=_("revenue category"), choices=RevenueCategory.choices
    )
    ean13 = forms.CharField(label=_("EAN-13 barcode"), max_length=13, required=False)
    allergens = forms.MultipleChoiceField(
        label=_("allergens"),
        choices=ALLERGENS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    default_course = forms.IntegerField(
        label=_("default course"), min_value=0, max_value=9, initial=0, required=False
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    sold_online = forms.BooleanField(label=_("offered as an online extra"), required=False)
    channels = forms.MultipleChoiceField(
        label=_("sold on"),
        choices=SaleChannel.choices,
        required=False,
        initial=list(SaleChannel.values),
        widget=forms.CheckboxSelectMultiple,
    )
    channels_shown = forms.BooleanField(required=False, widget=forms.HiddenInput, initial=True)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—")] + [(c.pk, c.name) for c in categories]

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["category_id"] = data.pop("category") or None
        data["default_course"] = data.get("default_course") or 0
        data["ean13"] = (data.get("ean13") or "").strip()
        chosen = set(data.pop("channels", None) or ())
        # a form that showed the channels (its marker) sets them; another keeps them
        if data.pop("channels_shown", False):
            for channel, name in SALE_CHANNEL_FIELDS.items():
                data[name] = channel in chosen
        return data


class ModifierGroupForm(forms.Form):
    name_fr = forms.CharField(label=_("name (French)"), max_length=100)
    name_en = forms.CharField(label=_("name (English)"), max_length=100, required=False)
    min_choices = forms.IntegerField(label=_("minimum choices"), min_value=0, initial=0)
    max_choices = forms.IntegerField(label=_("maximum choices"), min_value=0, initial=1)


class ModifierForm(forms.Form):
    name_fr = forms.CharField(label=_("name (French)"), max_length=100)
    name_en = forms.CharField(label=_("name (English)"), max_length=100, required=False)
    price_delta = AmountField(
        label=_("price"), max_digits=12, decimal_places=2, required=False, initial=0
    )


class VariantForm(forms.Form):
    name_fr = forms.CharField(label=_("name (French)"), max_length=100)
    name_en = forms.CharField(label=_("name (English)"), max_length=100, required=False)
    price_delta = AmountField(
        label=_("price difference"), max_digits=12, decimal_places=2, required=False, initial=0
    )
    ean13 = forms.CharField(label=_("EAN-13 barcode"), max_length=13, required=False)


class PromotionForm(forms.Form):
    name_fr = forms.CharField(label=_("name (French)"), max_length=150)
    name_en = forms.CharField(label=_("name (English)"), max_length=150, required=False)
    code = forms.SlugField(label=_("code"), max_length=30)
    kind = forms.ChoiceField(label=_("kind"), choices=Promotion.Kind.choices)
    percent_off = AmountField(
        label=_("percent off"), max_digits=5, decimal_places=2, required=False
    )
    amount_off = AmountField(
        label=_("amount off per unit"), max_digits=12, decimal_places=2, required=False
    )
    products = forms.TypedMultipleChoiceField(label=_("products"), coerce=int, required=False)
    revenue_categories = forms.MultipleChoiceField(
        label=_("revenue categories"),
        choices=RevenueCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channels = forms.MultipleChoiceField(
        label=_("channels"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sale_from = forms.DateField(label=_("booked from"), required=False)
    sale_until = forms.DateField(label=_("booked until (inclusive)"), required=False)
    stay_from = forms.DateField(label=_("stay from"), required=False)
    stay_until = forms.DateField(label=_("stay until (inclusive)"), required=False)
    min_nights = forms.IntegerField(label=_("minimum nights"), min_value=1, required=False)
    min_days_before = forms.IntegerField(
        label=_("booked at least N days before"), min_value=0, required=False
    )
    stock_cap = forms.IntegerField(label=_("offer stock"), min_value=0, required=False)
    priority = forms.IntegerField(label=_("priority"), initial=0, required=False)

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].choices = [(p.pk, p.name) for p in products]

    def service_fields(self) -> tuple[dict, list[int]]:
        data = dict(self.cleaned_data)
        products = data.pop("products") or []
        data["priority"] = data.get("priority") or 0
        return data, products


# --- stock master data (inventory.services.stock_setup holds the rules) -------------------


class StockLocationForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    code = forms.SlugField(label=_("code"), max_length=30)
    kind = forms.ChoiceField(label=_("kind"), choices=StockLocation.Kind.choices)
    room_number = forms.CharField(label=_("room (minibar)"), max_length=10, required=False)
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)


class StockItemForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=150)
    code = forms.SlugField(label=_("code"), max_length=50)
    base_unit = forms.ChoiceField(label=_("unit"), choices=BASE_UNITS)
    barcode = forms.CharField(label=_("barcode"), max_length=20, required=False)
    average_cost = AmountField(
        label=_("average cost per unit"), max_digits=14, decimal_places=6, initial=0
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)


class SupplierForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=150)
    email = forms.EmailField(label=_("e-mail"), required=False)
    phone = forms.CharField(label=_("phone"), max_length=30, required=False)
    lead_time_days = forms.IntegerField(
        label=_("lead time (days)"), min_value=0, max_value=365, initial=2
    )
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)


class SupplierItemForm(forms.Form):
    item = forms.TypedChoiceField(label=_("item"), coerce=int)
    pack_label = forms.CharField(label=_("pack"), max_length=50)
    pack_size = AmountField(label=_("base units per pack"), max_digits=14, decimal_places=3)
    pack_price = AmountField(label=_("price per pack excl. VAT"), max_digits=12, decimal_places=2)
    reference = forms.CharField(label=_("supplier's reference"), max_length=50, required=False)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [
            (i.pk, f"{i.name} ({i.get_base_unit_display()})") for i in items
        ]

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data["item_id"] = data.pop("item")
        return data


class RecipeLineForm(forms.Form):
    item = forms.TypedChoiceField(label=_("ingredient"), coerce=int)
    quantity = AmountField(label=_("quantity"), max_digits=14, decimal_places=3)
    unit = forms.ChoiceField(label=_("unit"), choices=StockUnit.choices)
    yield_percent = AmountField(label=_("yield (%)"), max_digits=5, decimal_places=2, initial=100)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [
            (i.pk, f"{i.name} ({i.get_base_unit_display()})") for i in items
        ]
