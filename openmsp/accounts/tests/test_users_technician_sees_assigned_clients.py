from django.urls import reverse


def test_tech_b_lists_only_the_people_of_client_b(web_as, tech_b, alice, bob, charlie, msp_owner):
    page = web_as(tech_b).get(reverse("user_list")).content.decode()

    assert "charlie@saebom.example" in page
    assert "alice@hanbit.example" not in page
    assert "bob@hanbit.example" not in page
    assert "owner@msp.example" not in page


def test_tech_b_gets_404_for_people_of_client_a(web_as, tech_b, bob):
    assert web_as(tech_b).get(reverse("user_detail", args=[bob.pk])).status_code == 404


def test_tech_b_may_change_a_client_b_person(web_as, tech_b, charlie):
    http = web_as(tech_b)

    response = http.post(
        reverse("user_profile_edit", args=[charlie.pk]),
        {"full_name": "Charlie Park", "language": "en", "time_zone": "Asia/Seoul"},
    )

    assert response["Location"] == reverse("user_detail", args=[charlie.pk])
    charlie.refresh_from_db()
    assert charlie.full_name == "Charlie Park"
