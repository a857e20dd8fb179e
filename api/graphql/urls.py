from django.urls import path

from api.graphql.views import GraphQLView

urlpatterns = [path("", GraphQLView.as_view(), name="graphql")]
