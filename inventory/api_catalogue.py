"""The catalogue's back office through the API, under /api/v1/properties/<slug>/catalogue/:
categories and products (prices, VAT, allergens, each rate plan's default price), read by
any API role and changed by a manager through the services of the back-office screens
(inventory.services.catalogue: category_save, product_save, product_prices_set)."""

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status

from core.api import IDEMPOTENCY_PARAMETER, idempotent_response
from core.api_reads import (
    ListParams,
    PropertyReadApi,
    cursor_page,
    jsonable,
    page_of,
    query_params,
    queryset_version,
)
from core.exceptions import InvalidInput, NotFound
from inventory.models import (
    ALLERGENS,
    VAT_RATES,
    Category,
    Price,
    Product,
    RatePlan,
    RevenueCategory,
)
from inventory.services.catalogue import category_save, product_prices_set, product_save

VAT_CHOICES = [str(rate) for rate in VAT_RATES]
ALLERGEN_CODES = [code for code, _label in ALLERGENS]


class _CatalogueApi(PropertyReadApi):
    area = "inventory"
    write_capability = "manage"


# --- categories ------------------------------------------------------------------------------


class CategoryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name_fr = serializers.CharField()
    name_en = serializers.CharField()
    sort_order = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class CategoryInputSerializer(serializers.Serializer):
    name_fr = serializers.CharField(max_length=100)
    name_en = serializers.CharField(max_length=100, required=False, allow_blank=True)
    sort_order = serializers.IntegerField(min_value=0, max_value=32767, required=False)


CATEGORY_EXAMPLE = {
    "id": 7,
    "name_fr": "Cocktails",
    "name_en": "Cocktails",
    "sort_order": 3,
    "updated_at": "2026-06-01T09:00:00Z",
}


def _category_payload(category: Category) -> dict:
    return jsonable(CategoryOutputSerializer(category).data)


class CategoryListApi(_CatalogueApi):
    """The categories, in the screens' order; POST adds one (capability `manage`)."""

    @extend_schema(
        operation_id="inventory_category_list",
        parameters=[ListParams],
        responses={200: page_of(CategoryOutputSerializer, "InventoryCategoryPage")},
        examples=[
            OpenApiExample(
                "A page", response_only=True, value={"results": [CATEGORY_EXAMPLE], "next": None}
            )
        ],
    )
    def get(self, request, property_slug: str):
        params = query_params(request, ListParams)
        categories = Category.objects.filter(property=self.property)
        return self.read(
            request,
            version=queryset_version(categories),
            build=lambda: cursor_page(
                categories,
                params=params,
                keys=("sort_order", "pk"),
                serialize=lambda rows: CategoryOutputSerializer(rows, many=True).data,
            ),
        )

    @extend_schema(
        operation_id="inventory_category_create",
        request=CategoryInputSerializer,
        responses={201: CategoryOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample(
                "Cocktails", request_only=True, value={"name_fr": "Cocktails", "sort_order": 3}
            ),
            OpenApiExample(
                "Created", response_only=True, status_codes=[201], value=CATEGORY_EXAMPLE
            ),
        ],
    )
    def post(self, request, property_slug: str):
        data = CategoryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        def compute():
            category = category_save(
                property=self.property, actor=request.user, fields=data.validated_data
            )
            return status.HTTP_201_CREATED, _category_payload(category)

        return idempotent_response(request, scope="inventory.category.create", compute=compute)


class CategoryDetailApi(_CatalogueApi):
    """One category; PATCH changes the fields given (capability `manage`)."""

    def category(self, category_id: int) -> Category:
        category = Category.objects.filter(property=self.property, pk=category_id).first()
        if category is None:
            raise NotFound(_("No such category."))
        return category

    @extend_schema(
        operation_id="inventory_category_detail",
        responses={200: CategoryOutputSerializer},
        examples=[OpenApiExample("A category", response_only=True, value=CATEGORY_EXAMPLE)],
    )
    def get(self, request, property_slug: str, category_id: int):
        category = self.category(category_id)
        return self.read(
            request, version=[category.updated_at], build=lambda: _category_payload(category)
        )

    @extend_schema(
        operation_id="inventory_category_update",
        request=CategoryInputSerializer(partial=True),
        responses={200: CategoryOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample("Renamed", request_only=True, value={"name_en": "Mixed drinks"}),
            OpenApiExample("The category", response_only=True, value=CATEGORY_EXAMPLE),
        ],
    )
    def patch(self, request, property_slug: str, category_id: int):
        data = CategoryInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        category = self.category(category_id)

        def compute():
            saved = category_save(
                property=self.property,
                actor=request.user,
                fields=data.validated_data,
                category=category,
            )
            return status.HTTP_200_OK, _category_payload(saved)

        return idempotent_response(
            request, scope=f"inventory.category.update:{category.pk}", compute=compute
        )


# --- products --------------------------------------------------------------------------------


class ProductOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_fr = serializers.CharField()
    name_en = serializers.CharField()
    category = serializers.IntegerField(source="category_id", allow_null=True)
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    revenue_category = serializers.CharField()
    allergens = serializers.ListField(child=serializers.CharField())
    ean13 = serializers.CharField()
    is_active = serializers.BooleanField()
    sold_online = serializers.BooleanField()
    sort_order = serializers.IntegerField()
    # each rate plan's default price (plan code → price); a plan absent: the public price
    plan_prices = serializers.DictField(
        child=serializers.DecimalField(max_digits=12, decimal_places=2)
    )
    updated_at = serializers.DateTimeField()


class ProductInputSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=50)
    name_fr = serializers.CharField(max_length=150)
    name_en = serializers.CharField(max_length=150, required=False, allow_blank=True)
    category = serializers.IntegerField(required=False, allow_null=True)
    price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    vat_rate = serializers.ChoiceField(choices=VAT_CHOICES)
    revenue_category = serializers.ChoiceField(
        choices=[c for c in RevenueCategory.values if c != RevenueCategory.TOURIST_TAX]
    )
    allergens = serializers.ListField(
        child=serializers.ChoiceField(choices=ALLERGEN_CODES),
        required=False,
        max_length=len(ALLERGEN_CODES),
    )
    ean13 = serializers.CharField(max_length=13, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    sold_online = serializers.BooleanField(required=False)
    sort_order = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    plan_prices = serializers.DictField(
        child=serializers.DecimalField(
            max_digits=12, decimal_places=2, min_value=0, allow_null=True
        ),
        required=False,
        help_text="Rate plan code → default price; null removes the plan's price.",
    )


PRODUCT_EXAMPLE = {
    "code": "spritz",
    "name_fr": "Spritz",
    "name_en": "Spritz",
    "category": 7,
    "price": "11.00",
    "vat_rate": "20.00",
    "revenue_category": "alcohol",
    "allergens": ["sulphites"],
    "ean13": "",
    "is_active": True,
    "sold_online": False,
    "sort_order": 0,
    "plan_prices": {"groupe": "9.50"},
    "updated_at": "2026-06-01T09:00:00Z",
}


def _products(property):
    return Product.objects.filter(property=property).prefetch_related(
        Prefetch(
            "prices",
            queryset=Price.objects.filter(season__isnull=True, channel="").select_related(
                "rate_plan"
            ),
            to_attr="default_prices",
        )
    )


def _product_rows(rows: list[Product]) -> list:
    for product in rows:
        product.plan_prices = {p.rate_plan.code: p.price for p in product.default_prices}
    return ProductOutputSerializer(rows, many=True).data


def _save_product(self_, request, data: dict, product: Product | None) -> Product:
    """The back office's two services, in one transaction: the product, then its plans."""
    fields = {k: v for k, v in data.items() if k not in ("category", "plan_prices")}
    if "category" in data:
        fields["category_id"] = data["category"]
    if "vat_rate" in fields:
        fields["vat_rate"] = VAT_RATES[VAT_CHOICES.index(fields["vat_rate"])]
    with transaction.atomic():
        product = product_save(
            property=self_.property, actor=request.user, fields=fields, product=product
        )
        if data.get("plan_prices"):
            plans = dict(
                RatePlan.objects.filter(
                    property=self_.property, code__in=list(data["plan_prices"])
                ).values_list("code", "pk")
            )
            unknown = sorted(set(data["plan_prices"]) - set(plans))
            if unknown:
                raise InvalidInput(
                    _("No such rate plan."), extra={"fields": {"plan_prices": unknown}}
                )
            product_prices_set(
                product=product,
                actor=request.user,
                prices={plans[code]: price for code, price in data["plan_prices"].items()},
            )
    return product


def _product_payload(property, code: str) -> dict:
    return jsonable(_product_rows([_products(property).get(code=code)])[0])


class ProductCatalogueListApi(_CatalogueApi):
    """Every product of the catalogue (active or not) by code; POST adds one (`manage`)."""

    class FilterSerializer(ListParams):
        category = serializers.IntegerField(required=False)
        # a choice, not a BooleanField: DRF reads an absent boolean of a query string as false
        is_active = serializers.ChoiceField(choices=["true", "false"], required=False)

    @extend_schema(
        operation_id="inventory_catalogue_product_list",
        parameters=[FilterSerializer],
        responses={200: page_of(ProductOutputSerializer, "InventoryProductPage")},
        examples=[
            OpenApiExample(
                "A page", response_only=True, value={"results": [PRODUCT_EXAMPLE], "next": None}
            )
        ],
    )
    def get(self, request, property_slug: str):
        params = query_params(request, self.FilterSerializer)
        products = _products(self.property)
        if "category" in params:
            products = products.filter(category_id=params["category"])
        if "is_active" in params:
            products = products.filter(is_active=params["is_active"] == "true")
        # the plans' prices have no timestamp: the ETag is the answer's hash
        page = cursor_page(products, params=params, keys=("code", "pk"), serialize=_product_rows)
        return self.read_body(request, page)

    @extend_schema(
        operation_id="inventory_catalogue_product_create",
        request=ProductInputSerializer,
        responses={201: ProductOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample(
                "A new cocktail",
                request_only=True,
                value={
                    "code": "hugo",
                    "name_fr": "Hugo",
                    "price": "10.00",
                    "vat_rate": "20.00",
                    "revenue_category": "alcohol",
                    "allergens": ["sulphites"],
                },
            ),
            OpenApiExample(
                "Created", response_only=True, status_codes=[201], value=PRODUCT_EXAMPLE
            ),
        ],
    )
    def post(self, request, property_slug: str):
        data = ProductInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        def compute():
            code = data.validated_data["code"]
            if Product.objects.filter(property=self.property, code=code).exists():
                raise InvalidInput(
                    _("Another product has this code."), extra={"fields": {"code": ["taken"]}}
                )
            product = _save_product(self, request, data.validated_data, None)
            return status.HTTP_201_CREATED, _product_payload(self.property, product.code)

        return idempotent_response(request, scope="inventory.product.create", compute=compute)


class ProductCatalogueDetailApi(_CatalogueApi):
    """One product; PATCH changes the fields given, and the plans' prices (`manage`)."""

    def product(self, code: str) -> Product:
        product = Product.objects.filter(property=self.property, code=code).first()
        if product is None:
            raise NotFound(_("No such product."))
        return product

    @extend_schema(
        operation_id="inventory_catalogue_product_detail",
        responses={200: ProductOutputSerializer},
        examples=[OpenApiExample("A product", response_only=True, value=PRODUCT_EXAMPLE)],
    )
    def get(self, request, property_slug: str, code: str):
        self.product(code)
        return self.read_body(request, _product_payload(self.property, code))

    @extend_schema(
        operation_id="inventory_catalogue_product_update",
        request=ProductInputSerializer(partial=True),
        responses={200: ProductOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        examples=[
            OpenApiExample(
                "A new price and the allergens",
                request_only=True,
                value={
                    "price": "12.00",
                    "allergens": ["sulphites"],
                    "plan_prices": {"groupe": "10.00"},
                },
            ),
            OpenApiExample("The product", response_only=True, value=PRODUCT_EXAMPLE),
        ],
    )
    def patch(self, request, property_slug: str, code: str):
        data = ProductInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        product = self.product(code)
        if data.validated_data.get("code", code) != code:
            raise InvalidInput(
                _("A product's code does not change (sales and prices name it)."),
                extra={"fields": {"code": ["read-only"]}},
            )

        def compute():
            saved = _save_product(self, request, data.validated_data, product)
            return status.HTTP_200_OK, _product_payload(self.property, saved.code)

        return idempotent_response(
            request, scope=f"inventory.product.update:{product.pk}", compute=compute
        )
